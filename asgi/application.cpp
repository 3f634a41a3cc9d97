// asgi/application.cpp — what a leaf application says about itself in the route table.

#include "asgi/application.h"

namespace laurel::asgi {

void Application::describe(std::vector<RouteDescription>& out,
                           const RouteDescription& context) const {
  RouteDescription row = context;
  row.target = name();
  out.push_back(std::move(row));
}

bool Application::match(const Scope& scope, const RouteDescription& context,
                        RouteMatch& out) const {
  out.route = context;
  out.route.target = name();
  out.args = Value::list();
  out.kwargs = Value::dict();
  if (const Value* route = scope.find("url_route")) {
    if (const Value* args = route->find("args"); args && args->is_list()) out.args = *args;
    if (const Value* kwargs = route->find("kwargs"); kwargs && kwargs->is_dict())
      out.kwargs = *kwargs;
  }
  return true;
}

}  // namespace laurel::asgi
