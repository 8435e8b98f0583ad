//go:build tools

// Package tools pins the FALLBACK Node.js language host: the last release whose
// language host was still part of the github.com/pulumi/pulumi/sdk/v3 module
// (sdk/nodejs/cmd/pulumi-language-nodejs, before it became its own untagged
// module) and that the module proxy here serves. It is NOT the pinned 3.248.0
// host; install.sh builds it only with HARBOR_HA_LANGHOST_FALLBACK=1.
package tools

import _ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"
