import { alertsFeature } from "./alerts/feature.ts";
import { camerasFeature } from "./cameras/feature.ts";
import { chargersFeature } from "./chargers/feature.ts";
import { detectorFeature } from "./detector/feature.ts";
import { devicesPageFeature } from "./devices-page/feature.ts";
import { learningFeature } from "./learning/feature.ts";
import { liftFeature } from "./lift/feature.ts";
import { ordersFeature } from "./orders/feature.ts";
import { parkingFeature } from "./parking/feature.ts";
import { reportsFeature } from "./reports/feature.ts";

/**
 * Every feature, in start order: a consumer before what feeds it (work orders before the alerts they
 * are made from, alerts before the lift guard whose
 * holds they report, site learning before the detector and guard whose frames and holds it keeps,
 * the detector before the guard it feeds); stop runs in reverse. A new feature is
 * its own folder and one line here.
 */
export const features = [reportsFeature, ordersFeature, alertsFeature, learningFeature, camerasFeature, detectorFeature, liftFeature, chargersFeature, devicesPageFeature, parkingFeature] as const;
