import { describe, expect, it } from 'vitest';
import { compareLogIds } from '../../harness/checkers/observations.ts';
import { expectedOutput, isLegalEdge, isTerminal, taskStatus } from '../../harness/checkers/spec.ts';

describe("the checker's own specification", () => {
  it('knows exactly the six edges of the state machine', () => {
    const states = ['queued', 'running', 'completed', 'failed', 'cancelled'];
    const legal = states.flatMap((from) => states.filter((to) => isLegalEdge(from, to)).map((to) => `${from}→${to}`));
    expect(legal.sort()).toEqual(['queued→cancelled', 'queued→failed', 'queued→running', 'running→cancelled', 'running→completed', 'running→failed']);
    expect(states.filter(isTerminal)).toEqual(['completed', 'failed', 'cancelled']);
  });

  it('expects each output line followed by a newline', () => {
    expect(expectedOutput({ durationMs: 0, exitCode: 0, output: ['a', '', 'b'] })).toBe('a\n\nb\n');
    expect(expectedOutput({ durationMs: 0, exitCode: 0, output: [] })).toBe('');
  });

  it.each([
    [['queued', 'queued'], 'queued'],
    [['completed', 'completed'], 'completed'],
    [['completed', 'failed', 'cancelled'], 'failed'],
    [['completed', 'cancelled'], 'cancelled'],
    [['queued', 'completed'], 'running'],
    [['running', 'failed'], 'running'],
  ])('aggregates %j to %s', (states, status) => {
    expect(taskStatus(states)).toBe(status);
  });

  it('compares stream ids numerically by both parts', () => {
    expect(compareLogIds('9-0', '10-0')).toBeLessThan(0);
    expect(compareLogIds('10-1', '10-0')).toBeGreaterThan(0);
    expect(compareLogIds('1700000000000-9', '1700000000000-10')).toBeLessThan(0);
    expect(compareLogIds('5-5', '5-5')).toBe(0);
  });
});
