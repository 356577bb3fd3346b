// docker's `filters` query parameter ({"label": ["a=b"], "until": ["24h"]}) as the engine's filter
// lists, for every group's prune and list endpoints.
import { parsePruneFilters, type PruneFilters } from '../../engine/prune.js';

/** The filters as `key=value` words, as the CLI's `--filter` gives them. */
export function filterWords(filters: Record<string, string[]>): string[] {
  return Object.entries(filters).flatMap(([k, vs]) => vs.map((v) => `${k}=${v}`));
}

/** A prune's filters (until=, label=, label!=). */
export function pruneFilters(filters: Record<string, string[]>): PruneFilters {
  return parsePruneFilters(filterWords(filters));
}
