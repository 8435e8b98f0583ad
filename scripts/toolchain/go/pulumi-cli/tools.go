//go:build tools

// Package tools pins the Pulumi CLI main package as a dependency of this
// wrapper module. The CLI's own go.mod carries replace directives, so
// `go install github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v3.248.0` refuses to
// build it; building it from a dependency of this module works.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
