// indexed_heap_hpp.cpp: keepwarm/indexed_heap.hpp compiles alone as C++20.
#include <keepwarm/indexed_heap.hpp>

template class keepwarm::IndexedHeap<double>;
