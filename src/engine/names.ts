// Container names when --name is not given: adjective_noun, like docker's (a smaller list).
import { randomInt } from '../util/random.js';

const ADJECTIVES = [
  'admiring',
  'bold',
  'brave',
  'calm',
  'clever',
  'dazzling',
  'eager',
  'elegant',
  'festive',
  'focused',
  'gallant',
  'happy',
  'jolly',
  'keen',
  'kind',
  'lucid',
  'modest',
  'nifty',
  'quirky',
  'serene',
  'sharp',
  'stoic',
  'tender',
  'vibrant',
  'wizardly',
  'zealous',
];
const NOUNS = [
  'babbage',
  'curie',
  'darwin',
  'euclid',
  'fermi',
  'galois',
  'hopper',
  'hypatia',
  'kepler',
  'lovelace',
  'meitner',
  'noether',
  'pascal',
  'ritchie',
  'shannon',
  'thompson',
  'turing',
  'wing',
  'yalow',
  'zuse',
];

export function randomName(withNumber = false): string {
  const pick = (a: string[]) => a[randomInt(a.length)];
  return `${pick(ADJECTIVES)}_${pick(NOUNS)}${withNumber ? randomInt(10) : ''}`;
}
