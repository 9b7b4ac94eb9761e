//! `uname`'s result (`include/uapi/linux/utsname.h`, `struct new_utsname`).

/// The length of each field, including its NUL (`__NEW_UTS_LEN` + 1).
pub const UTS_FIELD_LEN: usize = 65;

/// System identification (`struct new_utsname`): six NUL-terminated strings of 65 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct utsname {
    /// `"Linux"` for programs that check.
    pub sysname: [u8; UTS_FIELD_LEN],
    pub nodename: [u8; UTS_FIELD_LEN],
    pub release: [u8; UTS_FIELD_LEN],
    pub version: [u8; UTS_FIELD_LEN],
    /// `"x86_64"`.
    pub machine: [u8; UTS_FIELD_LEN],
    pub domainname: [u8; UTS_FIELD_LEN],
}
layout!(utsname, 390;
    sysname = 0, nodename = 65, release = 130, version = 195, machine = 260, domainname = 325,
);

impl Default for utsname {
    fn default() -> Self {
        Self {
            sysname: [0; UTS_FIELD_LEN],
            nodename: [0; UTS_FIELD_LEN],
            release: [0; UTS_FIELD_LEN],
            version: [0; UTS_FIELD_LEN],
            machine: [0; UTS_FIELD_LEN],
            domainname: [0; UTS_FIELD_LEN],
        }
    }
}
