// The body of POST /containers/create (Docker's Config, HostConfig and
// NetworkingConfig) as the engine's ContainerConfig.
#pragma once

#include "engine/engine.hpp"

#include <berth/sdk/result.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace berth::berthd {

// Fails with invalid_argument naming the field when a value is malformed or
// asks for something berth does not do (Privileged, Devices, ...): a
// request is never half honoured.
sdk::Result<ContainerConfig> container_request(const nlohmann::json &body, const std::string &name);

} // namespace berth::berthd
