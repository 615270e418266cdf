// Conventions shared by the renderer (what bird6 learns) and the endpoint programmer (what it
// installs). They are cluster-wide constants, not per-topology settings.

/**
 * The kernel route protocol number ("proto 80") the endpoint programmer marks its /128 routes
 * with. bird6's kernel protocol imports only routes with `krt_source = 80`, and the programmer
 * only ever deletes routes with this number, so foreign routes are never touched.
 */
export const ENDPOINT_ROUTE_PROTOCOL = 80;
