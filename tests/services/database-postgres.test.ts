/** Database provisioning, readiness and failures against a real PostgreSQL (Debian package). */
import { describeDatabaseEngine } from "../support/services/database-cases";
import { startPostgres } from "../support/services/postgres";

describeDatabaseEngine("PostgreSQL", startPostgres);
