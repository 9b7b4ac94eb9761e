//! The CMOS real-time clock (MC146818): read once at boot for CLOCK_REALTIME, as Linux's
//! read_persistent_clock64 does. The decoding is the `calendar` crate's.

use calendar::{RtcRegisters, RtcTime};

use super::port::{inb, outb};

const CMOS_INDEX: u16 = 0x70;
const CMOS_DATA: u16 = 0x71;
/// Register A bit 7: an update is in progress, the time registers may be inconsistent.
const RTC_A_UIP: u8 = 0x80;
/// The century register ACPI's FADT names on PCs (and QEMU's).
const RTC_CENTURY: u8 = 0x32;

fn read_register(index: u8) -> u8 {
    // SAFETY: selecting a CMOS register and reading it has no effect beyond the read; bit 7 of the
    // index (NMI disable) stays clear, as it was.
    unsafe {
        outb(CMOS_INDEX, index);
        inb(CMOS_DATA)
    }
}

fn read_all() -> RtcRegisters {
    RtcRegisters {
        second: read_register(0x00),
        minute: read_register(0x02),
        hour: read_register(0x04),
        day: read_register(0x07),
        month: read_register(0x08),
        year: read_register(0x09),
        century: read_register(RTC_CENTURY),
        status_b: read_register(0x0b),
    }
}

/// The RTC's time, in seconds since the Unix epoch. Reads until two reads outside an update agree
/// (Linux's mc146818_get_time does the same), giving up after a few tries on a clock that never
/// settles.
pub fn read_unix_seconds() -> i64 {
    let mut last = RtcRegisters::default();
    for _ in 0..1000 {
        // An update takes under 2 ms; a clock stuck "updating" is read anyway after a while.
        for _ in 0..100_000 {
            if read_register(0x0a) & RTC_A_UIP == 0 {
                break;
            }
            core::hint::spin_loop();
        }
        let now = read_all();
        if now == last {
            break;
        }
        last = now;
    }
    RtcTime::decode(last).unix_seconds()
}
