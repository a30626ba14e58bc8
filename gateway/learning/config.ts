import { z } from "zod";

/** Per lift, at most this many frames of each kind in any 24 hours: labelling time is the scarce thing. */
const capsSchema = z.strictObject({
  /** best frames of holds (up to `holdFrames` per hold) */
  hold: z.number().int().min(0).default(60),
  /** an e-bike candidate scored between `nearMissFloor` and the threshold */
  nearMiss: z.number().int().min(0).default(30),
  /** door-open frames without a candidate, sampled at random */
  negative: z.number().int().min(0).default(5),
  /** frames staff marked */
  marked: z.number().int().min(0).default(200),
  /** the shadow model and the active one disagreed */
  disagreement: z.number().int().min(0).default(30),
});

/** The `learning` section: which lift frames the gateway keeps for staff to label (docs/site-learning.md). */
export const learningConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** a best e-bike score from here up to the threshold is a near miss worth a label */
  nearMissFloor: z.number().min(0).max(1).default(0.15),
  /** chance that a door-open frame without a candidate is kept as a negative (until the day's cap) */
  negativeChance: z.number().min(0).max(1).default(0.02),
  /** frames kept per hold: its best, and later ones only when they score higher */
  holdFrames: z.number().int().min(1).max(20).default(3),
  capsPerLiftPerDay: capsSchema.prefault({}),
  /**
   * collected frames are deleted after this many days (never later than `evidence.retentionDays`,
   * which deletes their pictures); null: as long as the evidence store keeps them
   */
  retentionDays: z.number().positive().nullable().default(null),
  /** frames staff are asked to label a day: the page's "N to go today" counts down from it */
  dailyGoal: z.number().int().min(1).default(40),
});

export type LearningConfig = z.infer<typeof learningConfigSchema>;
