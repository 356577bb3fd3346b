// Progress lines as BuildKit's plain output (`docker build --progress=plain`, what docker prints by
// default since 23.0 when the output is not a terminal): one numbered step a line, `#N [stage k/n]
// INSTRUCTION`, the step's output as `#N 0.123 text`, then `#N CACHED` or `#N DONE 0.3s`. Chosen
// over the classic builder's `Step N/M :` because that is what docker users see today, it names the
// stage of a multi-stage build on each line, and it says CACHED per step.

export class Progress {
  private next = 1;

  constructor(private readonly write: (line: string) => void) {}

  /** Starts a numbered step; returns its handle. */
  step(title: string): ProgressStep {
    return new ProgressStep(this.next++, title, this.write);
  }
}

export class ProgressStep {
  private readonly started = performance.now();

  constructor(
    readonly n: number,
    title: string,
    private readonly write: (line: string) => void,
  ) {
    write(`#${n} ${title}`);
  }

  line(text: string): void {
    this.write(`#${this.n} ${((performance.now() - this.started) / 1000).toFixed(3)} ${text}`);
  }

  note(text: string): void {
    this.write(`#${this.n} ${text}`);
  }

  cached(): void {
    this.write(`#${this.n} CACHED`);
  }

  done(): void {
    this.write(`#${this.n} DONE ${((performance.now() - this.started) / 1000).toFixed(1)}s`);
  }

  error(message: string): void {
    this.write(`#${this.n} ERROR: ${message}`);
  }
}
