#pragma once

// IUpdate2 of the Windows Update Agent, which mingw-w64's wuapi.h (Debian
// 12) does not declare. It adds RebootRequired and CveIDs to IUpdate.
// NOTE: the interface id and the vtable order were written from memory of
// the Windows SDK's wuapi.idl, with no SDK at hand to check them. A wrong
// id makes QueryInterface fail, and the agent then reads IUpdate alone.

#include <windows.h>
#include <wuapi.h>

// COM interfaces have no virtual destructor, as IUpdate has none.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
MIDL_INTERFACE("144fe9b0-d23d-4a8b-8634-fb4457533b7a")
IUpdate2 : public IUpdate {
  virtual HRESULT STDMETHODCALLTYPE get_RebootRequired(VARIANT_BOOL * retval) = 0;
  virtual HRESULT STDMETHODCALLTYPE get_IsPresent(VARIANT_BOOL * retval) = 0;
  virtual HRESULT STDMETHODCALLTYPE get_CveIDs(IStringCollection * *retval) = 0;
  virtual HRESULT STDMETHODCALLTYPE CopyToCache(IStringCollection * files) = 0;
};
#pragma GCC diagnostic pop
__CRT_UUID_DECL(IUpdate2, 0x144fe9b0, 0xd23d, 0x4a8b, 0x86, 0x34, 0xfb, 0x44, 0x57, 0x53, 0x3b,
                0x7a)
