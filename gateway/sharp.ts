import type Sharp from "sharp";

/**
 * sharp (libvips), loaded on first use: the library and its threads are about 25 MB of memory,
 * which a gateway that judges no frames (detector, site learning and work orders off) need not
 * carry. The module loader caches it, so each later call costs a resolved promise.
 */
export async function loadSharp(): Promise<typeof Sharp> {
  return (await import("sharp")).default;
}
