import { alertsFeature } from "./alerts/feature.ts";
import { camerasFeature } from "./cameras/feature.ts";
import { chargersFeature } from "./chargers/feature.ts";
import { detectorFeature } from "./detector/feature.ts";
import { learningFeature } from "./learning/feature.ts";
import { liftFeature } from "./lift/feature.ts";

/**
 * Every feature, in start order: a consumer before what feeds it (alerts before the lift guard whose
 * holds they report, site learning before the detector and guard whose frames and holds it keeps,
 * the detector before the guard it feeds); stop runs in reverse. A new feature is
 * its own folder and one line here.
 */
export const features = [alertsFeature, learningFeature, camerasFeature, detectorFeature, liftFeature, chargersFeature] as const;
