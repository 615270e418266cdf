// Conventions shared by the renderer (what bird6 learns) and the endpoint programmer (what it
// installs). They are cluster-wide constants, not per-topology settings.

/**
 * The kernel route protocol number ("proto 80") the endpoint programmer marks its /128 routes
 * with. bird6's kernel protocol imports only routes with `krt_source = 80`, and the programmer
 * only ever deletes routes with this number, so foreign routes are never touched.
 */
export const ENDPOINT_ROUTE_PROTOCOL = 80;

/**
 * RFC 6793: the 2-byte AS number that stands in for a 4-byte one towards 2-byte-only readers (old
 * BGP speakers, BGP4-MIB's bgpLocalAs). Never a router's own AS.
 */
export const AS_TRANS = 23456;
