import CDMAHostABI
internal import CDMAHostRegistry

/// Registration of the C callbacks that implement a domain. Each setter overwrites;
/// nil clears. Setting callbacks of the system domain is refused (logged).
extension MemoryDomain {
    /// Sets the translate callback (`spdk_memory_domain_set_translation`).
    public func setTranslate(_ callback: spdk_memory_domain_translate_memory_cb?) {
        spdk_memory_domain_set_translation_export(handle, callback)
    }
    /// Sets the invalidate callback (`spdk_memory_domain_set_invalidate`).
    public func setInvalidate(_ callback: spdk_memory_domain_invalidate_data_cb?) {
        spdk_memory_domain_set_invalidate_export(handle, callback)
    }
    /// Sets the pull callback (`spdk_memory_domain_set_pull`).
    public func setPull(_ callback: spdk_memory_domain_pull_data_cb?) {
        spdk_memory_domain_set_pull_export(handle, callback)
    }
    /// Sets the push callback (`spdk_memory_domain_set_push`).
    public func setPush(_ callback: spdk_memory_domain_push_data_cb?) {
        spdk_memory_domain_set_push_export(handle, callback)
    }
    /// Sets the transfer callback (`spdk_memory_domain_set_data_transfer`).
    public func setTransfer(_ callback: spdk_memory_domain_transfer_data_cb?) {
        spdk_memory_domain_set_data_transfer_export(handle, callback)
    }
    /// Sets the memzero callback (`spdk_memory_domain_set_memzero`).
    public func setMemzero(_ callback: spdk_memory_domain_memzero_cb?) {
        spdk_memory_domain_set_memzero_export(handle, callback)
    }
}
