import type Sharp from "sharp";

let loaded: typeof Sharp | undefined;

/**
 * sharp (libvips), loaded on first use: the library and its threads are about 25 MB of memory,
 * which a gateway that judges no frames (detector, site learning and work orders off) need not
 * carry.
 *
 * One libvips thread per image: the gateway's images are small (a lift frame to 352x352) and many
 * at once (the detector judges two, beside its onnxruntime threads), so splitting each over every
 * core only made threads wait on each other. bench:lift's burst of 30 lifts, p99 frame to hold:
 * 404 and 428 ms with a thread per core, 332 and 357 ms with one.
 */
export async function loadSharp(): Promise<typeof Sharp> {
  if (!loaded) {
    loaded = (await import("sharp")).default;
    loaded.concurrency(1);
  }
  return loaded;
}
