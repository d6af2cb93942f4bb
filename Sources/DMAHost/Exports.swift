/// The shared types (errors, device types, the driver protocol) are part of this module's API.
@_exported import DMADriverKit
