import { execFileSync } from "node:child_process";

/**
 * The Debian packages the tests run for real: InfluxDB 1.x, Mosquitto and its clients,
 * VictoriaMetrics (the InfluxDB 2.x write API), Chromium and a CJK font for the console, and
 * Debian's PyTorch, torchvision and onnx for `linli models train` (gateway/detector/train/python.ts),
 * ffmpeg for the RTSP lift cameras (gateway/cameras) and GStreamer's RTSP server, through Debian's
 * python3-gi, as the camera they read in the tests, and poppler-utils (pdftoppm) to render work order PDFs.
 * .ci/run installs the same list.
 */
export const TEST_PACKAGES = ["influxdb", "mosquitto", "mosquitto-clients", "victoria-metrics", "chromium", "fonts-wqy-microhei", "openssl", "python3-torch", "python3-torchvision", "python3-onnx", "ffmpeg", "python3-gi", "gir1.2-gst-rtsp-server-1.0", "gstreamer1.0-plugins-good", "poppler-utils"];

function installed(pkg: string): boolean {
  try {
    return execFileSync("dpkg-query", ["-W", "-f=${Status}", pkg], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).includes("install ok installed");
  } catch {
    return false;
  }
}

/**
 * vitest globalSetup: installs missing packages with apt-get when running as root (CI, a fresh
 * developer machine), so `npm test` needs no other step; otherwise says what to install.
 */
export default function ensurePackages(): void {
  process.env.PATH = `${process.env.PATH ?? ""}:/usr/sbin:/sbin`;
  const missing = TEST_PACKAGES.filter((p) => !installed(p));
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) throw new Error(`the tests need Debian packages: sudo apt-get install -y ${missing.join(" ")}`);
  console.log(`installing ${missing.join(" ")} with apt-get ...`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], { stdio: "inherit", env });
}
