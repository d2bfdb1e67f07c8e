import { randomInt } from 'node:crypto';

const ADJECTIVES = [
  'admiring', 'amazing', 'awesome', 'blissful', 'bold', 'brave', 'busy', 'charming', 'clever', 'compassionate',
  'competent', 'confident', 'cool', 'dazzling', 'determined', 'eager', 'ecstatic', 'elastic', 'elated', 'eloquent',
  'epic', 'exciting', 'fervent', 'festive', 'focused', 'friendly', 'gallant', 'gifted', 'goofy', 'gracious',
  'happy', 'hopeful', 'infallible', 'inspiring', 'jolly', 'jovial', 'keen', 'kind', 'laughing', 'loving',
  'lucid', 'magical', 'modest', 'musing', 'mystifying', 'nice', 'nifty', 'nostalgic', 'objective', 'optimistic',
  'peaceful', 'pensive', 'practical', 'priceless', 'quirky', 'quizzical', 'relaxed', 'reverent', 'romantic', 'serene',
  'sharp', 'silly', 'sleepy', 'stoic', 'strange', 'sweet', 'tender', 'thirsty', 'trusting', 'upbeat',
  'vibrant', 'vigilant', 'wizardly', 'wonderful', 'youthful', 'zealous', 'zen',
];

const SURNAMES = [
  'agnesi', 'albattani', 'allen', 'archimedes', 'babbage', 'banach', 'bardeen', 'bartik', 'bell', 'booth',
  'borg', 'bose', 'brahmagupta', 'brattain', 'cannon', 'carson', 'cerf', 'chandrasekhar', 'curie', 'darwin',
  'dijkstra', 'easley', 'einstein', 'elion', 'engelbart', 'euclid', 'euler', 'faraday', 'fermat', 'feynman',
  'franklin', 'galileo', 'gauss', 'goldberg', 'goodall', 'hamilton', 'hawking', 'heisenberg', 'hodgkin', 'hopper',
  'hypatia', 'jackson', 'jemison', 'johnson', 'kepler', 'knuth', 'lamarr', 'lamport', 'leavitt', 'lovelace',
  'mayer', 'mccarthy', 'meitner', 'mirzakhani', 'morse', 'newton', 'nobel', 'noether', 'pascal', 'pike',
  'poincare', 'ritchie', 'rosalind', 'shannon', 'shockley', 'sinoussi', 'stonebraker', 'swartz', 'tesla', 'thompson',
  'torvalds', 'turing', 'villani', 'wescoff', 'wilbur', 'wing', 'wozniak', 'wright', 'yalow', 'yonath',
];

/** A Docker-style container name: `adjective_surname`, with a digit appended after `retry` collisions. */
export function generateName(retry = 0): string {
  const name = `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${SURNAMES[randomInt(SURNAMES.length)]}`;
  return retry > 0 ? `${name}${randomInt(10)}` : name;
}

/** Docker's container name rule. */
export const NAME_RE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
