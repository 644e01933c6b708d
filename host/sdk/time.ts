// Host `time`: Time.set(seconds) moves the clock that Date.now() reads (the device's clock starts in
// 1970 until it is set), without touching the machine's.
const realNow = Date.now.bind(Date);
let offset = 0;

const Time = {
  set(seconds: number): void {
    offset = seconds * 1000 - realNow();
    Date.now = () => realNow() + offset;
  },
  timezone: 0,
  dst: 0,
  get ticks(): number {
    return Math.floor(performance.now());
  },
  delta(start: number, end: number = Math.floor(performance.now())): number {
    return end - start;
  },
};

export default Time;
