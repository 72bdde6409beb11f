// libpq, PostgreSQL's C client (Debian's libpq-dev): the index backend and the work queue talk to
// the server through it (LoomPostgres wraps it).
#include <libpq-fe.h>
