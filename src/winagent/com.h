#pragma once

// Small owners for COM objects and BSTRs, so that every early return
// releases what it holds.

#include <oleauto.h>
#include <windows.h>

#include <string>
#include <string_view>
#include <utility>

namespace pk::winagent {

// Owns one reference to a COM interface.
template <typename T>
class ComPtr {
 public:
  ComPtr() = default;
  // Takes over a reference the caller owns (as an out parameter returns).
  static ComPtr adopt(T* pointer) {
    ComPtr owner;
    owner.pointer_ = pointer;
    return owner;
  }
  // Adds a reference of its own.
  static ComPtr share(T* pointer) {
    if (pointer != nullptr) pointer->AddRef();
    return adopt(pointer);
  }
  ComPtr(const ComPtr& other) : pointer_(other.pointer_) {
    if (pointer_ != nullptr) pointer_->AddRef();
  }
  ComPtr(ComPtr&& other) noexcept : pointer_(std::exchange(other.pointer_, nullptr)) {}
  ComPtr& operator=(ComPtr other) noexcept {
    std::swap(pointer_, other.pointer_);
    return *this;
  }
  ~ComPtr() {
    if (pointer_ != nullptr) pointer_->Release();
  }

  T* get() const { return pointer_; }
  T* operator->() const { return pointer_; }
  explicit operator bool() const { return pointer_ != nullptr; }
  // Releases the current reference and returns the address for an out
  // parameter.
  T** put() {
    *this = ComPtr();
    return &pointer_;
  }

 private:
  T* pointer_ = nullptr;
};

// Owns one BSTR.
class Bstr {
 public:
  Bstr() = default;
  explicit Bstr(std::wstring_view text)
      : value_(SysAllocStringLen(text.data(), static_cast<UINT>(text.size()))) {}
  Bstr(const Bstr&) = delete;
  Bstr& operator=(const Bstr&) = delete;
  ~Bstr() { SysFreeString(value_); }

  BSTR get() const { return value_; }
  BSTR* put() {
    SysFreeString(value_);
    value_ = nullptr;
    return &value_;
  }
  std::wstring_view view() const {
    return value_ == nullptr ? std::wstring_view()
                             : std::wstring_view(value_, SysStringLen(value_));
  }

 private:
  BSTR value_ = nullptr;
};

}  // namespace pk::winagent
