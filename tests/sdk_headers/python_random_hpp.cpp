// python_random_hpp.cpp: keepwarm/python_random.hpp compiles alone as C++20.
#include <keepwarm/python_random.hpp>
