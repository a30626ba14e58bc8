import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The Debian packages training needs; Debian's python3 sees them, a pyenv or venv python does not. */
export const TRAINING_PACKAGES = ["python3-torch", "python3-torchvision", "python3-onnx"];

/** The interpreter that runs the trainer: LINLI_PYTHON, else Debian's own python3. */
export function pythonPath(): string {
  return process.env.LINLI_PYTHON ?? (existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
}

export class TrainingUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TrainingUnavailable";
  }
}

/** Checks, before any work, that the interpreter has torch, torchvision and onnx. */
export async function checkTrainingPython(python = pythonPath()): Promise<void> {
  try {
    await run(python, ["-c", "import torch, torchvision, onnx"], { timeout: 60_000 });
  } catch (err) {
    const detail = (err as { stderr?: string }).stderr?.trim().split("\n").at(-1) ?? (err instanceof Error ? err.message : String(err));
    throw new TrainingUnavailable(
      `training needs PyTorch, torchvision and onnx for ${python} (${detail}): on Debian 12, apt-get install -y ${TRAINING_PACKAGES.join(" ")} (or set LINLI_PYTHON to a python3 that has them)`,
    );
  }
}
