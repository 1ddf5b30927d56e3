//! Drives any wren-core Machine over mio, batched with recvmmsg/sendmmsg
