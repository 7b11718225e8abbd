//! Memory a long-lived process gives back: the heap's free pages and unused stack.

/// Give back the pages of the main thread's stack below the current frame: a forked monitor
/// inherits whatever depth the CLI once reached, and never goes that deep again.
pub fn release_unused_stack() {
    let marker = 0u8;
    let sp = std::ptr::addr_of!(marker) as usize;
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
        return;
    };
    let Some(line) = maps.lines().find(|l| l.ends_with("[stack]")) else {
        return;
    };
    let Some((lo, _)) = line.split_once('-') else { return };
    let Ok(lo) = usize::from_str_radix(lo, 16) else { return };
    // Keep a generous margin below the current frame for the calls still to come.
    let keep_below = 16 * 1024;
    let end = (sp.saturating_sub(keep_below)) & !4095;
    if end > lo {
        // SAFETY: [lo, end) is stack memory no live frame uses (it lies well below the current
        // stack pointer, and the monitor runs no signal handlers on this stack); the kernel
        // hands back zero pages if it is ever touched again.
        unsafe { libc::madvise(lo as *mut libc::c_void, end - lo, libc::MADV_DONTNEED) };
    }
}

/// Return free heap memory to the system (glibc keeps it otherwise).
pub fn trim_heap() {
    // SAFETY: malloc_trim only releases free memory.
    unsafe {
        libc::malloc_trim(0);
    }
}
