import { describe, expect, it } from "vitest";
import { localDay } from "../gateway/local-day.ts";

const formatted = (ts: number, timeZone: string) => new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(ts);

describe("localDay", () => {
  it("turns at local midnight, to the millisecond, in zones a whole hour and 45 minutes off UTC", () => {
    // 2026-12-04 00:00 in Shanghai (UTC+8) and in Kathmandu (UTC+5:45)
    const shanghai = Date.UTC(2026, 11, 3, 16, 0);
    const kathmandu = Date.UTC(2026, 11, 3, 18, 15);
    expect(localDay(shanghai - 1, "Asia/Shanghai")).toBe("2026-12-03");
    expect(localDay(shanghai, "Asia/Shanghai")).toBe("2026-12-04");
    expect(localDay(shanghai - 1, "Asia/Shanghai")).toBe("2026-12-03");
    expect(localDay(kathmandu - 1, "Asia/Kathmandu")).toBe("2026-12-03");
    expect(localDay(kathmandu, "Asia/Kathmandu")).toBe("2026-12-04");
  });

  it("answers as a new formatter would for instants in any order, across zones and a DST change", () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    // 2026-03-08, when New York moves to daylight time, give or take two days
    const around = Date.UTC(2026, 2, 8, 7);
    for (let i = 0; i < 2_000; i++) {
      const ts = around + Math.round((random() - 0.5) * 4 * 86_400_000);
      for (const zone of ["America/New_York", "Asia/Shanghai", "Asia/Kathmandu", "UTC"]) expect(localDay(ts, zone)).toBe(formatted(ts, zone));
    }
  });
});
