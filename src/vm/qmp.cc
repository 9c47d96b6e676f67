// QMP client (placeholder: the client lands in the next commit).
namespace barekit::vm {}
