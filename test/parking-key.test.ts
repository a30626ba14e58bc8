/**
 * Without privacy.salt, InfluxDB's hash key changes every run by design; the parking lists keep a
 * key of their own, so a deny list still matches after a restart (real gateway, MQTT, SQLite).
 */
import { afterAll, expect, it } from "vitest";
import { hashPassword } from "../gateway/console/auth.ts";
import type { Alert } from "../gateway/alerts/types.ts";
import { startTestGateway, type TestGateway } from "./services/gateway.ts";
import { waitFor } from "./services/ports.ts";

const ADMIN = { user: "li", password: "admin correct horse" };
let gw: TestGateway | undefined;
afterAll(async () => {
  await gw?.stop();
});

it("a plate on the deny list, hashed without privacy.salt, still raises its alert after a restart", async () => {
  const settings = {
    site: "yard",
    influx: { enabled: false as const },
    privacy: { ids: "hash" as const },
    alerts: { enabled: true, console: { accounts: [{ user: ADMIN.user, passwordHash: await hashPassword(ADMIN.password), role: "administrator" as const }] } },
    parking: { carParks: [{ id: "B1", name: "地下车库", capacity: 100, gates: { "gate-car-1": "in" as const } }] },
  };
  gw = await startTestGateway(settings);
  const login = await fetch(`${gw.httpUrl}/login`, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(ADMIN).toString() });
  const cookie = login.headers.getSetCookie().find((c) => c.startsWith("linli_console="))!.split(";")[0]!;
  const listed = await fetch(`${gw.httpUrl}/api/parking/plates`, { method: "POST", headers: { cookie, "content-type": "application/json" }, body: JSON.stringify({ plate: "浙C88888", list: "deny", label: "欠费" }) });
  expect(listed.status).toBeLessThan(300);

  const { dataDir } = gw;
  await gw.stop(true);
  gw = await startTestGateway(settings, dataDir);
  const alerts: Alert[] = [];
  gw.gateway.core.bus.on("alert.changed", (c) => void alerts.push(c.alert));
  const device = await gw.client();
  await device.publishAsync("linli/yard/gate/gate-car-1/event", JSON.stringify({ eventId: "p-1", direction: "in", granted: false, confidence: 0.97, method: "plate", plate: "浙C88888" }), { qos: 1 });
  await waitFor("the deny-list alert after the restart", () => alerts.some((a) => a.type === "parking_denied_plate"), 10_000);
});
