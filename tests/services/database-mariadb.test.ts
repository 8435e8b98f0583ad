/** Database provisioning, readiness and failures against a real MariaDB (Debian package). */
import { describeDatabaseEngine } from "../support/services/database-cases";
import { startMariadb } from "../support/services/mariadb";

describeDatabaseEngine("MariaDB", startMariadb);
