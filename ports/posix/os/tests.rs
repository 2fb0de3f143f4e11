use super::*;
use std::sync::atomic::AtomicU32;
use std::sync::mpsc;
use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant as StdInstant};

/// The port is one per process: tests take turns.
static SERIAL: Mutex<()> = Mutex::new(());
static FIRED: [AtomicU32; TIMER_COUNT] = [AtomicU32::new(0), AtomicU32::new(0)];
/// Generous bound for anything that should happen "soon".
const BOUND: Duration = Duration::from_secs(5);

const REQUEST: OtaTimerId_t = sys::OtaRequestTimer;
const SELF_TEST: OtaTimerId_t = sys::OtaSelfTestTimer;

unsafe extern "C" fn record(id: OtaTimerId_t) {
    if let Some(count) = FIRED.get(id as usize) {
        count.fetch_add(1, Ordering::SeqCst);
    }
}

fn fired(id: OtaTimerId_t) -> u32 {
    FIRED[id as usize].load(Ordering::SeqCst)
}

fn worker_running() -> bool {
    lock().map(|mut g| g.state().timers.worker).unwrap_or(true)
}

fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let start = StdInstant::now();
    while start.elapsed() < BOUND {
        if done() {
            return true;
        }
        thread::sleep(Duration::from_millis(1));
    }
    done()
}

/// A clean port: no timers (and no callback still running), no queue, counters at zero.
fn fresh() -> MutexGuard<'static, ()> {
    let serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let _ = delete_timer(REQUEST);
    let _ = delete_timer(SELF_TEST);
    assert!(eventually(|| !worker_running()));
    let _ = deinit_queue();
    for count in &FIRED {
        count.store(0, Ordering::SeqCst);
    }
    serial
}

fn msg(id: u32, data: usize) -> OtaEventMsg_t {
    OtaEventMsg_t {
        pEventData: data as *mut sys::OtaEventData_t,
        eventId: id,
    }
}

fn same(a: &OtaEventMsg_t, b: &OtaEventMsg_t) -> bool {
    a.eventId == b.eventId && a.pEventData == b.pEventData
}

// -------------------------------------------------------------------- event queue --

#[test]
fn send_and_receive_copy_the_message_by_value() {
    let _s = fresh();
    assert_eq!(init_queue(), sys::OtaOsSuccess);
    let original = msg(sys::OtaAgentEventReceivedFileBlock, 0x1234);
    let mut buffer = original;
    let p: *const OtaEventMsg_t = &buffer;
    // SAFETY: (test) `p` points to a live OtaEventMsg_t; the context is unused.
    let status = unsafe { Posix_OtaSendEvent(ptr::null_mut(), p.cast(), 0) };
    assert_eq!(status, sys::OtaOsSuccess);
    // The sender's buffer is free for reuse as soon as send returns.
    buffer.eventId = sys::OtaAgentEventShutdown;
    buffer.pEventData = ptr::null_mut();
    assert!(!same(&buffer, &original));
    assert!(same(&receive(0).unwrap(), &original));
    assert_eq!(deinit_queue(), sys::OtaOsSuccess);
}

#[test]
fn c_entry_points_copy_through_unaligned_pointers() {
    let _s = fresh();
    // SAFETY: (test) the context is unused; the buffers are live and large enough.
    unsafe {
        assert_eq!(Posix_OtaInitEvent(ptr::null_mut()), sys::OtaOsSuccess);
        let mut out = [0u8; core::mem::size_of::<OtaEventMsg_t>() + 1];
        let mut inp = [0u8; core::mem::size_of::<OtaEventMsg_t>() + 1];
        let sent = msg(sys::OtaAgentEventRequestJobDocument, 0xabcd);
        ptr::write_unaligned(inp.as_mut_ptr().add(1).cast::<OtaEventMsg_t>(), sent);
        let status = Posix_OtaSendEvent(ptr::null_mut(), inp.as_ptr().add(1).cast(), 0);
        assert_eq!(status, sys::OtaOsSuccess);
        let status = Posix_OtaReceiveEvent(ptr::null_mut(), out.as_mut_ptr().add(1).cast(), 0);
        assert_eq!(status, sys::OtaOsSuccess);
        let got = ptr::read_unaligned(out.as_ptr().add(1).cast::<OtaEventMsg_t>());
        assert!(same(&got, &sent));
        assert_eq!(Posix_OtaDeinitEvent(ptr::null_mut()), sys::OtaOsSuccess);
    }
}

#[test]
fn null_message_pointers_fail() {
    let _s = fresh();
    assert_eq!(init_queue(), sys::OtaOsSuccess);
    // SAFETY: (test) NULL is what is being tested; the port must not dereference it.
    unsafe {
        let status = Posix_OtaSendEvent(ptr::null_mut(), ptr::null(), 0);
        assert_eq!(status, sys::OtaOsEventQueueSendFailed);
        let status = Posix_OtaReceiveEvent(ptr::null_mut(), ptr::null_mut(), 0);
        assert_eq!(status, sys::OtaOsEventQueueReceiveFailed);
    }
}

#[test]
fn events_come_out_in_order_across_the_ring_wrap() {
    let _s = fresh();
    assert_eq!(init_queue(), sys::OtaOsSuccess);
    let batch = CAPACITY - 1;
    for round in 0..3 {
        for i in 0..batch {
            assert_eq!(send(msg(i as u32, round * 1000 + i), 0), sys::OtaOsSuccess);
        }
        for i in 0..batch {
            assert!(same(&receive(0).unwrap(), &msg(i as u32, round * 1000 + i)));
        }
    }
    assert!(matches!(receive(1), Err(sys::OtaOsEventQueueReceiveFailed)));
}

#[test]
fn receive_with_a_timeout_fails_on_an_empty_queue() {
    let _s = fresh();
    assert_eq!(init_queue(), sys::OtaOsSuccess);
    let start = StdInstant::now();
    assert!(matches!(
        receive(30),
        Err(sys::OtaOsEventQueueReceiveFailed)
    ));
    assert!(start.elapsed() < BOUND);
}

#[test]
fn receive_with_zero_timeout_waits_for_an_event() {
    let _s = fresh();
    assert_eq!(init_queue(), sys::OtaOsSuccess);
    let sender = thread::spawn(|| {
        thread::sleep(Duration::from_millis(20));
        send(msg(7, 7), 0)
    });
    assert!(same(&receive(0).unwrap(), &msg(7, 7)));
    assert_eq!(sender.join().unwrap(), sys::OtaOsSuccess);
}

fn fill() {
    assert_eq!(init_queue(), sys::OtaOsSuccess);
    for i in 0..CAPACITY {
        assert_eq!(send(msg(1, i), 0), sys::OtaOsSuccess);
    }
}

#[test]
fn full_queue_fails_send_at_once_with_zero_timeout() {
    let _s = fresh();
    fill();
    let start = StdInstant::now();
    assert_eq!(send(msg(2, 0), 0), sys::OtaOsEventQueueSendFailed);
    assert!(start.elapsed() < BOUND);
    // Nothing was lost or added: the queue still holds exactly the first CAPACITY events.
    for i in 0..CAPACITY {
        assert!(same(&receive(0).unwrap(), &msg(1, i)));
    }
    assert!(receive(1).is_err());
}

#[test]
fn full_queue_fails_send_within_its_timeout() {
    let _s = fresh();
    fill();
    let start = StdInstant::now();
    assert_eq!(send(msg(2, 0), 50), sys::OtaOsEventQueueSendFailed);
    assert!(start.elapsed() < BOUND);
}

#[test]
fn full_queue_send_succeeds_when_room_appears_in_time() {
    let _s = fresh();
    fill();
    let receiver = thread::spawn(|| {
        thread::sleep(Duration::from_millis(20));
        receive(0).map(|m| (m.eventId, m.pEventData as usize))
    });
    assert_eq!(send(msg(2, 0), 5_000), sys::OtaOsSuccess);
    assert_eq!(receiver.join().unwrap(), Ok((1, 0)));
}

#[test]
fn init_again_gives_an_empty_queue() {
    let _s = fresh();
    assert_eq!(init_queue(), sys::OtaOsSuccess);
    assert_eq!(send(msg(1, 1), 0), sys::OtaOsSuccess);
    assert_eq!(init_queue(), sys::OtaOsSuccess);
    assert!(receive(1).is_err());
}

#[test]
fn without_a_queue_everything_fails_at_once() {
    let _s = fresh();
    assert_eq!(init_queue(), sys::OtaOsSuccess);
    assert_eq!(deinit_queue(), sys::OtaOsSuccess);
    // As in upstream's test_OTA_posix_InvalidEventQueue.
    assert_eq!(deinit_queue(), sys::OtaOsEventQueueDeleteFailed);
    assert_eq!(send(msg(1, 1), 0), sys::OtaOsEventQueueSendFailed);
    assert_eq!(send(msg(1, 1), 1_000), sys::OtaOsEventQueueSendFailed);
    // Zero timeout would wait for an event; with no queue it fails instead.
    assert!(matches!(receive(0), Err(sys::OtaOsEventQueueReceiveFailed)));
}

#[test]
fn deinit_wakes_blocked_receivers_and_senders() {
    let _s = fresh();
    assert_eq!(init_queue(), sys::OtaOsSuccess);
    let (tx, rx) = mpsc::channel();
    let tx2 = tx.clone();
    thread::spawn(move || {
        let _ = tx.send(receive(0).map(|_| ()));
    });
    thread::sleep(Duration::from_millis(20));
    assert_eq!(deinit_queue(), sys::OtaOsSuccess);
    assert_eq!(
        rx.recv_timeout(BOUND),
        Ok(Err(sys::OtaOsEventQueueReceiveFailed))
    );

    fill();
    thread::spawn(move || {
        let status = send(msg(2, 0), 60_000);
        let _ = tx2.send(if status == sys::OtaOsSuccess {
            Ok(())
        } else {
            Err(status)
        });
    });
    thread::sleep(Duration::from_millis(20));
    assert_eq!(deinit_queue(), sys::OtaOsSuccess);
    assert_eq!(
        rx.recv_timeout(BOUND),
        Ok(Err(sys::OtaOsEventQueueSendFailed))
    );
}

// ------------------------------------------------------------------------- timers --

#[test]
fn each_timer_calls_back_with_its_own_id() {
    let _s = fresh();
    assert_eq!(start_timer(REQUEST, 20, Some(record)), sys::OtaOsSuccess);
    assert_eq!(start_timer(SELF_TEST, 30, Some(record)), sys::OtaOsSuccess);
    assert!(eventually(|| fired(REQUEST) == 1 && fired(SELF_TEST) == 1));
    // One-shot: an expired timer is disarmed but still exists.
    assert_eq!(stop_timer(REQUEST), sys::OtaOsSuccess);
    assert_eq!(delete_timer(REQUEST), sys::OtaOsSuccess);
    assert_eq!(delete_timer(SELF_TEST), sys::OtaOsSuccess);
}

#[test]
fn timeouts_under_a_second_fire() {
    // v2.0.0 armed for timeout / 1000 whole seconds, so these never fired there.
    let _s = fresh();
    assert_eq!(start_timer(SELF_TEST, 1, Some(record)), sys::OtaOsSuccess);
    assert!(eventually(|| fired(SELF_TEST) == 1));
    assert_eq!(start_timer(SELF_TEST, 999, Some(record)), sys::OtaOsSuccess);
    assert!(eventually(|| fired(SELF_TEST) == 2));
}

#[test]
fn starting_a_running_timer_rearms_it() {
    let _s = fresh();
    assert_eq!(
        start_timer(REQUEST, 600_000, Some(record)),
        sys::OtaOsSuccess
    );
    assert_eq!(start_timer(REQUEST, 10, Some(record)), sys::OtaOsSuccess);
    assert!(eventually(|| fired(REQUEST) == 1));
    // And re-arming a long timer pushes its deadline out (it does not fire early).
    assert_eq!(start_timer(SELF_TEST, 100, Some(record)), sys::OtaOsSuccess);
    assert_eq!(
        start_timer(SELF_TEST, 600_000, Some(record)),
        sys::OtaOsSuccess
    );
    thread::sleep(Duration::from_millis(150));
    assert_eq!(fired(SELF_TEST), 0);
}

#[test]
fn a_stopped_timer_does_not_fire_until_started_again() {
    let _s = fresh();
    assert_eq!(start_timer(REQUEST, 100, Some(record)), sys::OtaOsSuccess);
    assert_eq!(stop_timer(REQUEST), sys::OtaOsSuccess);
    assert_eq!(stop_timer(REQUEST), sys::OtaOsSuccess);
    thread::sleep(Duration::from_millis(150));
    assert_eq!(fired(REQUEST), 0);
    assert_eq!(start_timer(REQUEST, 10, Some(record)), sys::OtaOsSuccess);
    assert!(eventually(|| fired(REQUEST) == 1));
}

#[test]
fn a_never_started_timer_cannot_be_stopped_or_deleted_and_nothing_else_changes() {
    let _s = fresh();
    assert_eq!(start_timer(REQUEST, 30, Some(record)), sys::OtaOsSuccess);
    assert_eq!(stop_timer(SELF_TEST), sys::OtaOsTimerStopFailed);
    assert_eq!(delete_timer(SELF_TEST), sys::OtaOsTimerDeleteFailed);
    assert!(eventually(|| fired(REQUEST) == 1));
    assert_eq!(fired(SELF_TEST), 0);
    assert_eq!(start_timer(SELF_TEST, 10, Some(record)), sys::OtaOsSuccess);
    assert!(eventually(|| fired(SELF_TEST) == 1));
}

#[test]
fn a_deleted_timer_is_gone() {
    // As in upstream's test_OTA_posix_InvalidTimerOperations.
    let _s = fresh();
    assert_eq!(start_timer(REQUEST, 1_000, None), sys::OtaOsSuccess);
    assert_eq!(start_timer(REQUEST, 0, None), sys::OtaOsSuccess);
    assert_eq!(stop_timer(REQUEST), sys::OtaOsSuccess);
    assert_eq!(delete_timer(REQUEST), sys::OtaOsSuccess);
    assert_eq!(delete_timer(REQUEST), sys::OtaOsTimerDeleteFailed);
    assert_eq!(stop_timer(REQUEST), sys::OtaOsTimerStopFailed);
}

static SLOW_STARTED: AtomicU32 = AtomicU32::new(0);
static SLOW_FINISHED: AtomicU32 = AtomicU32::new(0);

/// A callback that is still running when the test stops its timer.
unsafe extern "C" fn slow(_id: OtaTimerId_t) {
    SLOW_STARTED.fetch_add(1, Ordering::SeqCst);
    thread::sleep(Duration::from_millis(200));
    SLOW_FINISHED.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn stop_and_delete_return_only_after_a_callback_already_taken_has_returned() {
    let _s = fresh();
    for end in [stop_timer, delete_timer] {
        SLOW_STARTED.store(0, Ordering::SeqCst);
        SLOW_FINISHED.store(0, Ordering::SeqCst);
        assert_eq!(start_timer(REQUEST, 1, Some(slow)), sys::OtaOsSuccess);
        assert!(eventually(|| SLOW_STARTED.load(Ordering::SeqCst) == 1));
        assert_eq!(end(REQUEST), sys::OtaOsSuccess);
        // Had stop or delete returned while `slow` ran, a stopped agent could still be hit.
        assert_eq!(SLOW_FINISHED.load(Ordering::SeqCst), 1);
    }
    let _ = delete_timer(REQUEST);
}

unsafe extern "C" fn stop_self(id: OtaTimerId_t) {
    // A callback stopping its own timer must not wait for itself.
    let _ = stop_timer(id);
    FIRED[id as usize].fetch_add(1, Ordering::SeqCst);
}

#[test]
fn a_callback_may_stop_its_own_timer() {
    let _s = fresh();
    assert_eq!(
        start_timer(SELF_TEST, 1, Some(stop_self)),
        sys::OtaOsSuccess
    );
    assert!(eventually(|| fired(SELF_TEST) == 1));
    assert_eq!(delete_timer(SELF_TEST), sys::OtaOsSuccess);
}

#[test]
fn deleting_an_armed_timer_keeps_it_from_firing() {
    let _s = fresh();
    assert_eq!(start_timer(REQUEST, 100, Some(record)), sys::OtaOsSuccess);
    assert_eq!(delete_timer(REQUEST), sys::OtaOsSuccess);
    thread::sleep(Duration::from_millis(150));
    assert_eq!(fired(REQUEST), 0);
}

#[test]
fn zero_timeout_leaves_the_timer_created_but_disarmed() {
    let _s = fresh();
    assert_eq!(start_timer(REQUEST, 0, Some(record)), sys::OtaOsSuccess);
    thread::sleep(Duration::from_millis(30));
    assert_eq!(fired(REQUEST), 0);
    assert_eq!(stop_timer(REQUEST), sys::OtaOsSuccess);
    assert_eq!(delete_timer(REQUEST), sys::OtaOsSuccess);
}

#[test]
fn invalid_timer_ids_are_rejected() {
    let _s = fresh();
    assert_eq!(
        start_timer(sys::OtaNumOfTimers, 10, Some(record)),
        sys::OtaOsTimerCreateFailed
    );
    assert_eq!(stop_timer(sys::OtaNumOfTimers), sys::OtaOsTimerStopFailed);
    assert_eq!(delete_timer(u32::MAX), sys::OtaOsTimerDeleteFailed);
    assert!(!worker_running());
}

#[test]
fn a_timer_without_callback_expires_quietly() {
    let _s = fresh();
    assert_eq!(start_timer(REQUEST, 5, None), sys::OtaOsSuccess);
    assert!(eventually(|| {
        lock().is_some_and(|mut g| g.state().timers.slots[0].deadline.is_none())
    }));
    assert_eq!(delete_timer(REQUEST), sys::OtaOsSuccess);
}

static RESTARTS: AtomicU32 = AtomicU32::new(0);

/// Like the agent's callback: signals an event from the timer thread, then re-arms.
unsafe extern "C" fn signal_and_restart(id: OtaTimerId_t) {
    let n = RESTARTS.fetch_add(1, Ordering::SeqCst) + 1;
    let _ = send(msg(sys::OtaAgentEventRequestTimer, n as usize), 0);
    if n < 3 {
        let _ = start_timer(id, 5, Some(signal_and_restart));
    }
}

#[test]
fn callbacks_run_on_another_thread_and_may_send_and_restart() {
    let _s = fresh();
    RESTARTS.store(0, Ordering::SeqCst);
    assert_eq!(init_queue(), sys::OtaOsSuccess);
    assert_eq!(
        start_timer(REQUEST, 5, Some(signal_and_restart)),
        sys::OtaOsSuccess
    );
    for n in 1..=3usize {
        let got = receive(5_000).unwrap();
        assert!(same(&got, &msg(sys::OtaAgentEventRequestTimer, n)));
    }
    assert_eq!(RESTARTS.load(Ordering::SeqCst), 3);
}

#[test]
fn the_timer_thread_ends_when_no_timer_exists_and_comes_back() {
    let _s = fresh();
    assert_eq!(start_timer(REQUEST, 0, None), sys::OtaOsSuccess);
    assert!(worker_running());
    assert_eq!(delete_timer(REQUEST), sys::OtaOsSuccess);
    assert!(eventually(|| !worker_running()));
    assert_eq!(start_timer(REQUEST, 5, Some(record)), sys::OtaOsSuccess);
    assert!(eventually(|| fired(REQUEST) == 1));
}

// ---------------------------------------------------------------- memory and time --

#[test]
fn malloc_and_free_pass_through() {
    let p = STDC_Malloc(64);
    assert!(!p.is_null());
    // SAFETY: (test) 64 writable bytes from malloc, freed once; free(NULL) does nothing.
    unsafe {
        ptr::write_bytes(p.cast::<u8>(), 0xa5, 64);
        assert_eq!(*p.cast::<u8>().add(63), 0xa5);
        STDC_Free(p);
        STDC_Free(ptr::null_mut());
    }
}

#[test]
fn deadlines_carry_milliseconds_into_seconds() {
    let t = Instant {
        sec: 1,
        nsec: 999_999_999,
    };
    assert_eq!(
        t.after_ms(1),
        Some(Instant {
            sec: 2,
            nsec: 999_999
        })
    );
    assert_eq!(
        t.after_ms(1_500),
        Some(Instant {
            sec: 3,
            nsec: 499_999_999
        })
    );
    let far = Instant { sec: 0, nsec: 0 }.after_ms(u32::MAX).unwrap();
    assert_eq!(
        far,
        Instant {
            sec: 4_294_967,
            nsec: 295_000_000
        }
    );
    let end = Instant {
        sec: libc::time_t::MAX,
        nsec: 999_999_999,
    };
    assert_eq!(end.after_ms(1), None);
    assert!(Instant { sec: 1, nsec: 2 } < Instant { sec: 2, nsec: 1 });
}
