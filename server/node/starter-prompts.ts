/**
 * A few sentences so that a node started with the embedded defaults (`npm start`) can be tried
 * at once. Written for Tributary and dedicated to the public domain (CC0-1.0); a real community
 * imports its own with `tributary prompts import`.
 */
export const STARTER_PROMPTS: Record<string, string[]> = {
  sw: [
    'Watoto wanacheza mpira uwanjani baada ya shule.',
    'Mama anapika chakula kitamu jikoni leo.',
    'Mvua kubwa ilinyesha usiku kucha jana.',
    'Wakulima wamevuna mahindi mengi mwaka huu.',
    'Tutasafiri kwenda mjini kwa basi kesho asubuhi.',
    'Ndege wanaimba juu ya mti mrefu.',
    'Rafiki yangu anasoma kitabu kizuri darasani.',
    'Wavuvi walirudi pwani na samaki wengi.',
    'Bibi anasimulia hadithi za zamani kila jioni.',
    'Soko la matunda hufunguliwa mapema asubuhi.',
    'Daktari alituambia tunywe maji safi kila siku.',
    'Tunapenda kusikiliza muziki wakati wa sikukuu.',
  ],
};
