/** A problem with the environment or the user's input: reported as one line, exit code 2. */
export class EnvironmentError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'EnvironmentError';
  }
}
