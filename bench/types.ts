// The bench's result model: sections of rows, one row per peer (and metric), serialised as-is to JSON.
import type { Summary } from './stats.js';

export interface Row {
  peer: string;
  /** Rows with the same metric in a section are compared; hako's row gives the ratio's numerator. */
  metric: string;
  unit: 'ms' | 's' | 'KiB';
  hako: boolean;
  summary?: Summary;
  samples?: number[];
  /** Why there is no number: not installed, failed its probe, not available yet. */
  skipped?: string;
  note?: string;
  /** hako's median over this row's median (JSON only; the table prints it with the target). */
  ratioHako?: number;
}

export interface Target {
  /** Peer whose median is the denominator. */
  peer: string;
  metric: string;
  maxRatio: number;
  label: string;
}

export interface SectionResult {
  id: string;
  title: string;
  notes: string[];
  targets: Target[];
  rows: Row[];
  /** The 1-minute load average when the section started and ended (other work on the machine). */
  load?: { before: number; after: number };
}
