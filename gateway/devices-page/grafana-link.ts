import type { DevicesPageConfig } from "./config.ts";

/** The Grafana board of a device's kind, for its site (every board has a `site` variable); none without a Grafana URL or a board for the kind. */
export function boardLink(cfg: Pick<DevicesPageConfig, "grafanaUrl" | "boards">, site: string, kind: string): string | undefined {
  const uid = cfg.boards[kind];
  if (!cfg.grafanaUrl || !uid) return undefined;
  const url = new URL(`d/${encodeURIComponent(uid)}`, cfg.grafanaUrl.endsWith("/") ? cfg.grafanaUrl : `${cfg.grafanaUrl}/`);
  url.searchParams.set("var-site", site);
  return url.toString();
}
