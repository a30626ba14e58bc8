import type { FolderEval } from "./eval-folder.ts";
import type { FrameRow, ThresholdRow } from "./evaluate.ts";
import type { ModelFigures } from "./promotion-log.ts";
import type { PromotionResult } from "./promotion.ts";

export interface Lines {
  out(line: string): void;
}

const pct = (n: number) => (Number.isNaN(n) ? "    -" : `${(n * 100).toFixed(1)}%`);
const at = <T extends { threshold: number }>(rows: readonly T[], t: number) => rows.find((r) => Math.abs(r.threshold - t) < 1e-9);

/** NaN is not JSON: figures without a denominator are written as null. */
export const toJson = (value: unknown) => JSON.stringify(value, (_k, v: unknown) => (typeof v === "number" && Number.isNaN(v) ? null : v));

export function printReport(report: FolderEval, io: Lines): void {
  const others = Object.entries(report.classCounts).filter(([c]) => c !== "ebike").map(([c, n]) => `${n} ${c}`);
  io.out(`model ${report.model}: ${report.images} images (${report.unlabelled} without a label file, taken as background), ${report.truths} labelled e-bikes${others.length ? `; also labelled: ${others.join(", ")}` : ""}`);
  io.out(`AP50 (e-bike): ${Number.isNaN(report.ap50) ? "n/a (no labelled e-bikes)" : report.ap50.toFixed(3)}`);
  io.out("threshold  precision  recall     F1   TP   FP   FN | e-bike frames found   clean frames flagged");
  report.rows.forEach((r, i) => {
    const f = report.frames[i]!;
    io.out(
      `${r.threshold.toFixed(2).padStart(9)}  ${pct(r.precision).padStart(9)}  ${pct(r.recall).padStart(6)}  ${r.f1.toFixed(2).padStart(5)} ${String(r.tp).padStart(4)} ${String(r.fp).padStart(4)} ${String(r.fn).padStart(4)} | ` +
        `${`${f.ebikeFramesFound}/${f.ebikeFrames} ${pct(f.frameRecall)}`.padStart(19)}   ${`${f.cleanFramesFlagged}/${f.cleanFrames} ${pct(f.falseHoldRate)}`.padStart(20)}`,
    );
  });
  const r = report.recommended;
  io.out(`recommended threshold: ${r.threshold.toFixed(2)} (F1 ${r.f1.toFixed(2)}, ${r.fp} false positive(s), ${r.fn} missed): set detector.scoreThreshold`);
  const wrong = report.perImage.filter((p) => p.wrong);
  io.out(`at the model's threshold ${report.threshold}: ${wrong.length} frame(s) wrong${wrong.length ? ": " + wrong.map((p) => `${p.name} (${p.ebikes > 0 ? "e-bike missed" : "false hold"}, best ${p.bestEbikeScore.toFixed(2)})`).join(", ") : ""}`);
}

interface Summary {
  box: ThresholdRow | undefined;
  frame: FrameRow | undefined;
}

const summary = (r: FolderEval): Summary => ({ box: at(r.rows, r.threshold), frame: at(r.frames, r.threshold) });

/** Two or more models on the same frames, one column each, at each model's own threshold. */
export function printComparison(reports: readonly FolderEval[], io: Lines): void {
  const cols = reports.map((r) => ({ r, s: summary(r) }));
  const width = Math.max(22, ...reports.map((r) => r.model.length + 2));
  const row = (name: string, cell: (c: (typeof cols)[number]) => string) => io.out(name.padEnd(34) + cols.map((c) => cell(c).padStart(width)).join(""));
  row("", (c) => c.r.model);
  row("AP50 (e-bike)", (c) => (Number.isNaN(c.r.ap50) ? "n/a" : c.r.ap50.toFixed(3)));
  row("threshold", (c) => String(c.r.threshold));
  row("box precision / recall", (c) => (c.s.box ? `${pct(c.s.box.precision)} / ${pct(c.s.box.recall)}` : "-"));
  row("e-bike frames found", (c) => (c.s.frame ? `${c.s.frame.ebikeFramesFound}/${c.s.frame.ebikeFrames} ${pct(c.s.frame.frameRecall)}` : "-"));
  row("frames without e-bike flagged", (c) => (c.s.frame ? `${c.s.frame.cleanFramesFlagged}/${c.s.frame.cleanFrames} ${pct(c.s.frame.falseHoldRate)}` : "-"));
  row("frames wrong", (c) => String(c.r.perImage.filter((p) => p.wrong).length));
}

/** A promotion's two models side by side on the held-back frames, the verdict and its reasons. */
export function printPromotion(result: PromotionResult, io: Lines): void {
  const h = result.heldout;
  io.out(`held back: ${h.images} (${h.frames} frames: ${h.ebikeFrames} with an e-bike, ${h.cleanFrames} without)`);
  const models = [result.current, result.candidate];
  const width = Math.max(22, ...models.map((m) => m.model.length + 2));
  const row = (name: string, cell: (m: ModelFigures) => string) => io.out(name.padEnd(34) + models.map((m) => cell(m).padStart(width)).join(""));
  row("", (m) => (m === result.current ? "current" : "candidate"));
  row("model", (m) => m.model);
  row("AP50 (e-bike)", (m) => (Number.isNaN(m.ap50) ? "n/a" : m.ap50.toFixed(3)));
  row("threshold", (m) => String(m.threshold));
  row("e-bike frames found", (m) => `${m.ebikeFramesFound}/${m.ebikeFrames} ${pct(m.ebikeFramesFound / m.ebikeFrames)}`);
  row("frames without e-bike flagged", (m) => `${m.cleanFramesFlagged}/${m.cleanFrames} ${pct(m.cleanFramesFlagged / m.cleanFrames)}`);
  io.out(
    result.accepted
      ? `PROMOTED: ${result.candidate.model} is the active model now (was ${result.current.model}); a running gateway switches to it by itself. \`linli models rollback\` undoes it.`
      : `REFUSED: ${result.current.model} stays the active model.`,
  );
  for (const reason of result.reasons) io.out(`  - ${reason}`);
}
