/**
 * Sentences for load: built from everyday Swahili words so that language ID does real work, and
 * never repeated, because the node refuses duplicate texts.
 */
const WORDS = (
  'watoto wanacheza mpira uwanjani baada ya shule kila jioni mama anapika chakula kitamu jikoni ' +
  'leo wakulima wamevuna mahindi mengi mwaka huu mvua kubwa ilinyesha usiku kucha jana bei ' +
  'imepanda sokoni wiki hii tutasafiri kwenda mjini kwa basi kesho asubuhi ndege wanaimba juu ' +
  'mti mrefu shamba letu lina miembe sana rafiki yangu anasoma kitabu kizuri darasani mwalimu ' +
  'anafundisha historia ya nchi yetu wavuvi walirudi pwani na samaki wengi'
).split(' ');

export function swahiliSentences(seed = 1): () => string {
  let state = seed;
  let counter = 0;
  const random = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
  return () => {
    counter++;
    const words: string[] = [];
    const length = 8 + Math.floor(random() * 8);
    for (let i = 0; i < length; i++) words.push(WORDS[Math.floor(random() * WORDS.length)]!);
    // The counter, spelled as letters, keeps every sentence distinct.
    words.push(counter.toString(26).replace(/\d/g, (d) => 'abcdefghij'[Number(d)]!));
    return words.join(' ') + '.';
  };
}
