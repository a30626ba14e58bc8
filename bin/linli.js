#!/usr/bin/env node
// linli is written in TypeScript and runs through tsx's loader: no build step to forget.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../gateway/cli.ts");
await main(process.argv);
