"""linli's trainer for FastestDet e-bike detectors; run by `linli models train` (gateway/detector/train/)."""
