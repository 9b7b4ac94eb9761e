//! The initial stack the kernel builds (argc, argv, envp, auxv), read back.

/// The program's arguments, environment and auxiliary vector.
#[derive(Clone, Copy)]
pub struct Args {
    argc: usize,
    argv: *const *const u8,
    envp: *const *const u8,
    auxv: *const [u64; 2],
}

/// A NUL-terminated string as bytes (without the NUL).
///
/// # Safety
/// `p` must point to a NUL-terminated string that lives for the program's lifetime.
unsafe fn c_str(p: *const u8) -> &'static [u8] {
    let mut len = 0;
    // SAFETY: per the contract the string is terminated.
    while unsafe { *p.add(len) } != 0 {
        len += 1;
    }
    // SAFETY: `len` bytes were just read.
    unsafe { core::slice::from_raw_parts(p, len) }
}

impl Args {
    /// # Safety
    /// `sp` must be the stack pointer at `_start`, laid out per the x86_64 System V ABI.
    pub unsafe fn from_initial_stack(sp: *const u64) -> Self {
        // SAFETY: the layout is argc, argv[argc], NULL, envp..., NULL, auxv pairs.
        unsafe {
            let argc = *sp as usize;
            let argv = sp.add(1) as *const *const u8;
            let envp = argv.add(argc + 1);
            let mut p = envp;
            while !(*p).is_null() {
                p = p.add(1);
            }
            let auxv = p.add(1) as *const [u64; 2];
            Args {
                argc,
                argv,
                envp,
                auxv,
            }
        }
    }

    pub fn len(&self) -> usize {
        self.argc
    }

    pub fn is_empty(&self) -> bool {
        self.argc == 0
    }

    /// Argument `i` (argv[0] is the program's path).
    pub fn get(&self, i: usize) -> Option<&'static [u8]> {
        // SAFETY: i < argc indexes the argv array the kernel built.
        (i < self.argc).then(|| unsafe { c_str(*self.argv.add(i)) })
    }

    pub fn argv0(&self) -> &'static str {
        self.get(0)
            .and_then(|a| core::str::from_utf8(a).ok())
            .unwrap_or("?")
    }

    /// Argument `i` as UTF-8, if it is.
    pub fn str(&self, i: usize) -> Option<&'static str> {
        self.get(i).and_then(|a| core::str::from_utf8(a).ok())
    }

    /// The environment strings.
    pub fn env(&self) -> impl Iterator<Item = &'static [u8]> {
        let mut p = self.envp;
        core::iter::from_fn(move || {
            // SAFETY: the envp array is NULL-terminated.
            unsafe {
                if (*p).is_null() {
                    return None;
                }
                let s = c_str(*p);
                p = p.add(1);
                Some(s)
            }
        })
    }

    /// The auxiliary vector entries (type, value), without the terminating AT_NULL.
    pub fn auxv(&self) -> impl Iterator<Item = (u64, u64)> {
        let mut p = self.auxv;
        core::iter::from_fn(move || {
            // SAFETY: the auxv array ends with AT_NULL.
            let [t, v] = unsafe { *p };
            if t == 0 {
                return None;
            }
            // SAFETY: not yet at the end.
            p = unsafe { p.add(1) };
            Some((t, v))
        })
    }

    /// The value of one auxv entry.
    pub fn aux(&self, ty: u64) -> Option<u64> {
        self.auxv().find(|&(t, _)| t == ty).map(|(_, v)| v)
    }
}
