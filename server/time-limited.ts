import { setTimeout } from "node:timers";

/**
 * Work with a time limit: a body read (`NodeBody`, `WebBody`), a form the multipart codec reads.
 * `startTimeLimit(ms)` puts it in the list of its limit, and `expire()` is called once `ms`
 * have passed unless `stopTimeLimit()` came first.
 *
 * Each list, one per limit, holds its work in the order it started, so in the order it
 * falls due: one timer, set for the first, and set again when it fires, for the first then
 * left. Work that stops leaves the list in constant time, and the timer as it is: it fires
 * early at worst, finds nothing due, and waits for the next. It is unref'd: a pending body
 * keeps the process alive through its socket, not through its time limit. Setting and
 * clearing a timer for each request was a tenth of the CPU of decoding a small body.
 */
export abstract class TimeLimited {
  /** when it falls due, in `performance.now()` time */
  private due = 0;
  private next: TimeLimited | undefined = undefined;
  private prev: TimeLimited | undefined = undefined;
  private list: TimeLimits | undefined = undefined;

  /** Called once its time limit passed (it has left the list). */
  protected abstract expire(): void;

  startTimeLimit(ms: number): void {
    let list = lastList;
    if (list?.ms !== ms) {
      list = listsByMs.get(ms);
      if (!list) listsByMs.set(ms, (list = { ms, first: undefined, last: undefined, timer: undefined }));
      lastList = list;
    }
    this.due = performance.now() + ms;
    this.list = list;
    this.prev = list.last;
    if (list.last) list.last.next = this;
    else list.first = this;
    list.last = this;
    list.timer ??= setTimeout(TimeLimited.fire, ms, list).unref();
  }

  stopTimeLimit(): void {
    const list = this.list;
    if (!list) return;
    if (this.prev) this.prev.next = this.next;
    else list.first = this.next;
    if (this.next) this.next.prev = this.prev;
    else list.last = this.prev;
    this.next = this.prev = this.list = undefined;
  }

  private static fire(this: void, list: TimeLimits): void {
    list.timer = undefined;
    const now = performance.now();
    for (let first = list.first; first && first.due <= now; first = list.first) {
      first.stopTimeLimit();
      first.expire();
    }
    // Timers count whole milliseconds: one more, so the first is due when this one fires.
    if (list.first) list.timer = setTimeout(TimeLimited.fire, Math.ceil(list.first.due - now) + 1, list).unref();
  }
}

interface TimeLimits {
  ms: number;
  first: TimeLimited | undefined;
  last: TimeLimited | undefined;
  timer: NodeJS.Timeout | undefined;
}
const listsByMs = new Map<number, TimeLimits>();
/** The list used last: most servers have one time limit for every function. */
let lastList: TimeLimits | undefined;
