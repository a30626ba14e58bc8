import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "./services/gateway.ts";
import { waitFor } from "./services/ports.ts";
import { startVictoria, type Victoria } from "./services/victoria.ts";

let vm: Victoria;
let gw: TestGateway;

beforeAll(async () => {
  vm = await startVictoria();
  gw = await startTestGateway({ influx: { version: 2, url: vm.url, org: "linli", bucket: "linli", token: "unused-by-victoria" } });
});

afterAll(async () => {
  await gw?.stop();
  await vm?.stop();
});

describe("InfluxDB 2.x write path (line protocol against /api/v2/write)", () => {
  it("writes device points that read back with their tags, values and times", async () => {
    const device = await gw.client();
    const t0 = Date.now() - 5_000;
    for (let i = 0; i < 5; i++) {
      await device.publishAsync(
        "linli/demo/charger/charger-09/telemetry",
        JSON.stringify({ ts: t0 + i * 1000, ports: [{ port: 4, state: "charging", voltageV: 48.1, currentA: 2, powerW: 100 + i, energyWh: 1000 + i, tempC: 30 + i }] }),
        { qos: 1 },
      );
    }
    let series: Awaited<ReturnType<Victoria["export"]>> = [];
    await waitFor("power samples in VictoriaMetrics", async () => {
      series = await vm.export('{__name__="charger_port_power_w"}');
      return (series[0]?.values.length ?? 0) === 5;
    });
    expect(series).toHaveLength(1);
    expect(series[0]?.metric).toMatchObject({ site: "demo", charger: "charger-09", port: "4" });
    expect(series[0]?.values).toEqual([100, 101, 102, 103, 104]);
    expect(series[0]?.timestamps).toEqual([0, 1, 2, 3, 4].map((i) => t0 + i * 1000));
    expect(gw.gateway.metrics.totals.pointsWritten).toBeGreaterThanOrEqual(5);
  });
});
