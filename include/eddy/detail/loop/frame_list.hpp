// FrameList: the coroutine frames suspended on a loop, so the loop can free
// them when it is destroyed.
//
// A coroutine suspended on a future is owned by nobody: the future's
// done-callback holds only a raw handle to it, and the frame holds the
// future. Without this list, destroying the loop would leak both. Nodes live
// inside the promises (C++20), but the list itself is plain C++17 so the loop
// can own it without knowing about coroutines.
//
// Thread contract: the loop thread only.
#pragma once

namespace eddy::detail {

struct FrameNode {
  FrameNode* prev = nullptr;
  FrameNode* next = nullptr;
  void (*destroy_frame)(FrameNode*) noexcept = nullptr;

  bool linked() const noexcept { return prev != nullptr; }
};

class FrameList {
 public:
  FrameList() noexcept { head_.prev = head_.next = &head_; }
  FrameList(const FrameList&) = delete;
  FrameList& operator=(const FrameList&) = delete;

  void push(FrameNode& node) noexcept {
    node.prev = head_.prev;
    node.next = &head_;
    head_.prev->next = &node;
    head_.prev = &node;
  }

  static void unlink(FrameNode& node) noexcept {
    if (!node.linked()) return;
    node.prev->next = node.next;
    node.next->prev = node.prev;
    node.prev = node.next = nullptr;
  }

  // Destroys every frame still listed. Destroying one frame may complete or
  // unlink others, so the head is re-read each time.
  void destroy_all() noexcept {
    while (head_.next != &head_) {
      FrameNode* node = head_.next;
      unlink(*node);
      node->destroy_frame(node);
    }
  }

  bool empty() const noexcept { return head_.next == &head_; }

 private:
  FrameNode head_;
};

}  // namespace eddy::detail
