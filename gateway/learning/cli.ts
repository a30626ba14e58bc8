import { existsSync } from "node:fs";
import path from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { EvidenceStore } from "../evidence/store.ts";
import { exportDataset, type SetSummary } from "./export.ts";
import { FrameStore } from "./store.ts";

const share = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError("a share from 0 to below 1");
  return n;
};

const line = (name: string, s: SetSummary) => `${name.padEnd(8)} ${String(s.frames).padStart(5)} frames: ${s.ebikeFrames} with an e-bike, ${s.cleanFrames} without; lifts ${s.lifts.join(", ") || "-"}`;

/** `linli dataset export`: the site's labelled frames as folders `models train` and `models eval` read. */
export function registerDatasetCommands(program: Command): void {
  program
    .command("dataset")
    .description("the lift frames staff labelled (site learning)")
    .command("export")
    .description("write the labelled frames as YOLO folders, train/ and heldout/, split per lift by capture time")
    .requiredOption("--out <dir>", "the folder to write (replaced)")
    .option("-c, --config <file>", "the gateway's YAML config, for its data dir (default: ./linli.yaml when present)")
    .option("--data-dir <dir>", "the gateway's data dir (instead of the config's)")
    .option("--heldout-share <share>", "per lift, the latest share of its frames held back for judging models", share, 0.25)
    .option("--heldout-lifts <ids>", "lifts held back whole (a camera no model learnt from), comma-separated", (v: string) => v.split(",").map((s) => s.trim()).filter(Boolean), [] as string[])
    .action(async (opts: { out: string; config?: string; dataDir?: string; heldoutShare: number; heldoutLifts: string[] }) => {
      // imported here: the config module lists every feature, this one included
      const { loadConfig } = await import("../config.ts");
      const file = opts.config ?? (existsSync("linli.yaml") ? "linli.yaml" : undefined);
      const dataDir = path.resolve(opts.dataDir ?? loadConfig(file).dataDir);
      const framesDb = path.join(dataDir, "learning", "frames.db");
      if (!existsSync(framesDb)) throw new Error(`${framesDb} does not exist: no frames were collected in this data dir`);
      const store = new FrameStore(framesDb);
      const evidence = new EvidenceStore(path.join(dataDir, "evidence"));
      try {
        const summary = await exportDataset(store, evidence, { out: path.resolve(opts.out), heldoutShare: opts.heldoutShare, heldoutLifts: opts.heldoutLifts });
        console.log(line("train", summary.train));
        console.log(line("heldout", summary.heldout));
        if (summary.missing > 0) console.log(`${summary.missing} labelled frames skipped: their pictures are past the retention`);
        console.log(`-> ${summary.out} (train: --images ${path.join(summary.out, "train", "images")} --labels ${path.join(summary.out, "train", "labels")}; promote: --heldout ${path.join(summary.out, "heldout")})`);
      } finally {
        store.close();
        evidence.close();
      }
    });
}
