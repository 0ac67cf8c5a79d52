declare module 'audio-type' {
  /** The container/codec family of audio bytes (`wav`, `webm`, `opus`, `mp3`, …), from their magic numbers. */
  export default function audioType(bytes: Uint8Array): string | undefined;
}
