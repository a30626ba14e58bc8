import { execFileSync } from "node:child_process";

/** The Debian packages the tests run for real, by the binary each provides. */
const PACKAGES: Record<string, string> = {
  influxd: "influxdb",
  mosquitto: "mosquitto",
  mosquitto_pub: "mosquitto-clients",
  "victoria-metrics": "victoria-metrics",
  chromium: "chromium",
};

function has(binary: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${binary} || test -x /usr/sbin/${binary}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * vitest globalSetup: makes sure the servers the tests start are installed, installing them with
 * apt-get when running as root (CI and a fresh developer machine), so `npm test` needs no other step.
 */
export default function ensurePackages(): void {
  process.env.PATH = `${process.env.PATH ?? ""}:/usr/sbin:/sbin`;
  const missing = Object.entries(PACKAGES).filter(([bin]) => !has(bin)).map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  const unique = [...new Set(missing)];
  if (process.getuid?.() !== 0) {
    throw new Error(`the tests need Debian packages ${unique.join(" ")}: run  sudo apt-get install -y ${unique.join(" ")}`);
  }
  console.log(`installing ${unique.join(" ")} with apt-get ...`);
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...unique], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
}
