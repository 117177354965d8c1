/* gw_openapi: the OpenAPI 3 document of the gateway's API, generated from
 * the route table (gw_route.h) and the body schemas, so that the document
 * cannot list a route the router does not have, or miss one. */
#ifndef GW_OPENAPI_H
#define GW_OPENAPI_H

#include <stddef.h>

/* Builds the document as compact JSON. The caller frees the result with
 * free(); NULL if out of memory. */
char *gw_openapi_build(size_t *len);

#endif /* GW_OPENAPI_H */
