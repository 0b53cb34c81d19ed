// Everything a plugin author needs, in one include.
#pragma once

#include <berth/sdk/host.hpp>
#include <berth/sdk/ipv4.hpp>
#include <berth/sdk/network.hpp>
#include <berth/sdk/plugin.hpp>
#include <berth/sdk/plugin_abi.h>
#include <berth/sdk/result.hpp>
#include <berth/sdk/runtime.hpp>
#include <berth/sdk/scheduler.hpp>
#include <berth/sdk/storage.hpp>
#include <berth/sdk/unique_fd.hpp>
