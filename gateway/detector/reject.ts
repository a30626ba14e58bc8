/** Why a frame was not looked at; each reason is a label of `linli_detector_rejected_total`. */
export type FrameRejectReason = "empty" | "not_image" | "too_large" | "corrupt";

/** Thrown by preprocessing for a frame that cannot be judged; anything else thrown is a detector fault. */
export class FrameRejected extends Error {
  constructor(
    readonly reason: FrameRejectReason,
    detail: string,
  ) {
    super(detail);
    this.name = "FrameRejected";
  }
}
