// Placeholder; the Redis helper writes the real shim.
#ifndef PLEXUS_CHIREDIS_SHIM_H
#define PLEXUS_CHIREDIS_SHIM_H
static inline int plexus_hiredis_available(void) { return 0; }
#endif
